"""The matches kept in the database, and the bridge to the engine: load, score, store, publish.

One job per module: ``loading`` reads frames in bulk, ``storing`` writes matches in bulk,
``publishing`` swaps a full rebuild in atomically, ``snapshot`` keeps a fitted engine per
process, ``incremental`` re-scores what an event changed, ``rebuild`` runs a full rebuild in
chunks, ``exporting`` writes the stored matches out as JSON Lines (imports are
``matcher.services.imports``).
"""
