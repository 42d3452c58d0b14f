"""The two exception/warning types every journeykit function uses."""


class JourneyDataError(ValueError):
    """Input that journeykit cannot use.

    The message always names the parameter or column, what was expected, what was
    received (with counts and up to five example rows) and how to fix it.
    """


class JourneyWarning(UserWarning):
    """A statistical or data-quality caveat the analyst should read (never silent)."""


def _format(message, category, filename, lineno, line=None, _plain=None):
    """A JourneyWarning reads as one clean sentence (not the kernel's temporary file name
    and a source line, which mean nothing to a reader); other warnings as Python shows
    them."""
    if isinstance(category, type) and issubclass(category, JourneyWarning):
        return f"JourneyWarning: {message}\n"
    return _plain(message, category, filename, lineno, line)


def install_warning_format() -> None:
    """Make JourneyWarnings one clean sentence wherever Python shows warnings (done once,
    when journeykit is imported; other warnings keep Python's format)."""
    import functools
    import warnings

    if getattr(warnings.formatwarning, "journeykit", False):
        return
    plain = warnings.formatwarning
    formatted = functools.partial(_format, _plain=plain)
    formatted.journeykit = True
    warnings.formatwarning = formatted
