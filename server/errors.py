"""The server's domain errors. One middleware maps them to JSON answers."""


class ServerError(Exception):
    """Root of errors raised by server services; `code` and `status` shape the answer."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the request field it is about, for the pages to name in their language
        if code is not None:
            self.code = code


class InvalidInput(ServerError):
    code, status = "invalid_input", 400


class Unauthenticated(ServerError):
    code, status = "unauthenticated", 401


class Forbidden(ServerError):
    code, status = "forbidden", 403


class NotFound(ServerError):
    code, status = "not_found", 404


class RequestTimeout(ServerError):
    """The body stopped arriving: the connection is closed after the answer."""

    code, status = "request_timeout", 408


class Conflict(ServerError):
    code, status = "conflict", 409


class Gone(ServerError):
    code, status = "gone", 410


class TooManyRequests(ServerError):
    code, status = "too_many_requests", 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigError(Exception):
    """A setting is wrong; the message is one sentence for the operator."""
