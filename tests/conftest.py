"""Shared test configuration."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded generator, the same in every test."""
    return np.random.default_rng(12345)
