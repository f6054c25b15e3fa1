# Small checks shared by the tests that run under both runtimes.


def raises(error_type, action):
    """The error `action()` raised, if of `error_type`; None if it raised nothing."""
    try:
        action()
    except error_type as error:
        return error
    return None
