"""The two exception/warning types every journeykit function uses."""


class JourneyDataError(ValueError):
    """Input that journeykit cannot use.

    The message always names the parameter or column, what was expected, what was
    received (with counts and up to five example rows) and how to fix it.
    """


class JourneyWarning(UserWarning):
    """A statistical or data-quality caveat the analyst should read (never silent)."""
