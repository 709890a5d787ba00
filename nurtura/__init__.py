"""Nurtura: a self-hosted marketing-automation engine. The public surface is small on purpose."""

from nurtura.errors import NurturaError, Problem, ProcessInvalid
from nurtura.model.validate import Process, load_process

__version__ = "0.1.0"
__all__ = ["NurturaError", "Problem", "Process", "ProcessInvalid", "__version__", "load_process"]
