"""PLACEHOLDER: replaced by its owner."""


def lasso(*args, **kwargs):
    raise NotImplementedError
