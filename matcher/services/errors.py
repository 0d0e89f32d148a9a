"""Domain errors raised by services; messages name ids, never personal data."""


class ServiceError(Exception):
    """A use case refused to run; the message says why in plain English."""


class NotFound(ServiceError):
    """The object the use case needs does not exist."""


class NotPermitted(ServiceError):
    """The actor may not do this."""


class InvalidState(ServiceError):
    """The object is not in a state that allows this."""
