"""What the pages and the JSON API share about HTTP: rate limits, CSRF and problem details.

Neither ``matcher.web`` nor ``matcher.api`` imports the other; both import from here.
"""
