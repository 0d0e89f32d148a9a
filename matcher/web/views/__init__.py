"""Page blueprints, one module per area of the service."""
