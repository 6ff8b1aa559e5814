"""Stability testing: inexact arithmetic, perturbed inputs, worst-case perturbations, reports."""
