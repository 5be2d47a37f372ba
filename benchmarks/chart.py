"""Throughput against batch size, one log-log panel per workload and solver (matplotlib)."""

__all__ = ["throughput_chart"]


def throughput_chart(curves, path, note=""):
    """Draw ``curves[(workload, solver)][contender] = (batch sizes, samples/s)`` into ``path``;
    ``note`` is appended to each panel's title.  Raises ``ImportError`` without matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(14, 8), sharex=True)
    for col, workload in enumerate(("W1", "W2", "W3")):
        for row, solver in enumerate(("sgd", "adam")):
            ax = axes[row, col]
            for name, (x, y) in curves.get((workload, solver), {}).items():
                ax.plot(x, y, marker="o", label=name)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{workload} {solver}{note}")
            ax.set_xlabel("batch size (full batch at the right)")
            ax.set_ylabel("training samples / s")
            ax.grid(True, which="both", alpha=0.3)
    axes[0, 0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
