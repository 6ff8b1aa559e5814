"""PLACEHOLDER: replaced by its owner."""


def rows(sizes=None, thread_counts=(1, 2), repeats=7):
    return []
