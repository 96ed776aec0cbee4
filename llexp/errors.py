"""The one exception type for mistakes a user can make."""


class LlexpError(Exception):
    """A mistake in the config, the command line or the data, with what to do about it.

    The command line prints it as one line (no traceback) and exits with status 2.
    """


def instantiate(node, **kwargs):
    """`hydra.utils.instantiate`, with the user's mistakes raised as one-line `LlexpError`s.

    Hydra wraps whatever the target raises in an `InstantiationException` with a long message;
    a missing `???` value and an unknown or wrongly typed key are config mistakes too.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate as hydra_instantiate
    from omegaconf.errors import MissingMandatoryValue

    try:
        return hydra_instantiate(node, **kwargs)
    except MissingMandatoryValue as error:
        raise LlexpError(f"{error.full_key} is required: pass {error.full_key}=VALUE") from None
    except InstantiationException as error:
        cause = error.__cause__
        if isinstance(cause, LlexpError):
            raise cause from None
        if isinstance(cause, TypeError):  # e.g. +model.foo=1: an argument the target lacks
            raise LlexpError(f"{node.get('_target_')}: {cause}") from None
        raise
