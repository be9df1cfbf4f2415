"""certbot's exceptions, one tree.

    CertbotError
    ├── ConfigError            bad feeds.yaml / subscribers/*.yaml / environment (lists every problem)
    ├── FetchError             a feed could not be fetched
    │   ├── AddressBlocked     URL or redirect to loopback/private/link-local, or not https
    │   ├── TooLarge           body over the byte cap (before or after decompression)
    │   ├── DeadlineExceeded   the total deadline ran out (slow drip, no answer)
    │   └── HttpStatusError    a non-2xx answer; carries ``status`` and ``retry_after``
    ├── ParseError             a whole document could not be parsed (hostile or broken XML/JSON)
    │   └── IntegrityError     CSAF hash or signature did not verify (fail closed)
    └── DeliveryError          a channel could not deliver; ``retryable`` decides what dispatch does

Messages never contain secrets: channels build them from status codes and platform error
names, never from URLs or tokens.
"""

from __future__ import annotations


class CertbotError(Exception):
    """Base of every error certbot raises on purpose."""


class ConfigError(CertbotError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class FetchError(CertbotError):
    pass


class AddressBlocked(FetchError):
    pass


class TooLarge(FetchError):
    pass


class DeadlineExceeded(FetchError):
    pass


class HttpStatusError(FetchError):
    """A non-2xx answer. ``retry_after`` is the Retry-After header as given (seconds or an
    HTTP date), so a caller can honour a 429 without parsing the message."""

    def __init__(self, host: str, status: int, retry_after: str | None = None):
        super().__init__(f"{host}: HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class ParseError(CertbotError):
    pass


class IntegrityError(ParseError):
    pass


class DeliveryError(CertbotError):
    """A channel failed to deliver.

    ``retryable``: a later attempt may succeed (429, 5xx, connection reset).
    ``retry_after``: seconds the platform asked us to wait, if it said.
    ``ambiguous``: the request may have reached the platform (timeout after sending).
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        ambiguous: bool = False,
    ):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.ambiguous = ambiguous


def classify_status(status: int) -> bool | None:
    """HTTP status -> None for success, True for retryable, False for permanent.

    The one place channels classify status codes (2xx ok; 429, 408 and 5xx retryable;
    other 4xx not).
    """
    if 200 <= status < 300:
        return None
    if status in (408, 425, 429) or status >= 500:
        return True
    return False
