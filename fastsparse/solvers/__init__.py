"""Solvers: FIRENET networks, plain PDHG, WARPd, restarted LASSO and one-line reconstruction."""
