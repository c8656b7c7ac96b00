"""The exceptions of the kastore API, with the reference's names and hierarchy."""


class KastoreException(Exception):
    """Parent class of every kastore-specific exception."""


class FileFormatError(KastoreException):
    """The file is not a well-formed kastore store."""


class VersionTooOldError(KastoreException):
    """The file's format version is older than this library reads."""

    def __init__(self, message: str = "File format version is too old") -> None:
        super().__init__(message)


class VersionTooNewError(KastoreException):
    """The file's format version is newer than this library reads."""

    def __init__(self, message: str = "File format version is too new") -> None:
        super().__init__(message)


class StoreClosedError(KastoreException):
    """The store was used after close()."""

    def __init__(self, message: str = "Cannot access a closed store") -> None:
        super().__init__(message)


class ArrayFormatError(ValueError):
    """A Blosc2 frame or chunk is malformed: the bytes are not a readable N-d array."""


class NotAnArrayError(ArrayFormatError):
    """A Blosc2 frame without a b2nd or caterva metalayer (for example a plain SChunk)."""
