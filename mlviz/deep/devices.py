"""Where training runs: the device, and a description of it for the user."""

from __future__ import annotations

import torch

DEVICES: tuple[str, ...] = ("auto", "cuda", "cpu")


def check_device_name(device: str, name: str = "device") -> str:
    """Return ``device`` after checking it is one of :data:`DEVICES`."""
    if device not in DEVICES:
        raise ValueError(f"{name} must be 'auto', 'cuda' or 'cpu', got {device!r}.")
    return device


def pick_device(prefer: str = "auto") -> torch.device:
    """The device to train on: CUDA when available (``"auto"``), else the CPU.

    Parameters
    ----------
    prefer : {"auto", "cuda", "cpu"}
        ``"cuda"`` insists on a GPU and raises when there is none.

    Returns
    -------
    torch.device
        Describe it to a user with :func:`describe_device`.

    Notes
    -----
    Choosing CUDA also turns TF32 off and asks cuDNN for deterministic kernels (process-wide
    settings): the networks here are small, and float32 runs that repeat exactly matter more
    than TF32's speed. With TF32 on, deep LP's warm-up epochs and the supervised baseline,
    same seed, did not give the same losses and features.
    """
    check_device_name(prefer, "prefer")
    if prefer == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        return torch.device("cuda")
    if prefer == "cuda":
        raise ValueError("prefer='cuda' but no CUDA device is available here; use 'auto' or 'cpu'.")
    return torch.device("cpu")


def describe_device(device: torch.device | str, num_threads: int | None = None) -> str:
    """A human description, e.g. ``"CUDA (NVIDIA H100 80GB HBM3)"`` or ``"CPU (2 threads)"``.

    Parameters
    ----------
    device : torch.device or str
    num_threads : int, optional
        The CPU threads training will use (as passed to the training config); None means
        torch's current setting.
    """
    device = torch.device(device)
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    threads = num_threads or torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads > 1 else ''})"
