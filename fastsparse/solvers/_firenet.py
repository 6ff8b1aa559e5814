"""PLACEHOLDER: replaced by its owner."""


def FIRENET(*args, **kwargs):
    raise NotImplementedError


def firenet(*args, **kwargs):
    raise NotImplementedError
