"""PLACEHOLDER: replaced by its owner."""


def level_weights(levels, s):
    raise NotImplementedError
