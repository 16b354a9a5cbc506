"""Matplotlib helpers shared by the reports: headless backend, PNG bytes, inline HTML images."""
from __future__ import annotations

import base64
import io


def pyplot():
    """matplotlib.pyplot on the Agg backend (reports are written without a display)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def png_bytes(fig, dpi: int = 110) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    pyplot().close(fig)
    return buf.getvalue()


def img_tag(png: bytes, alt: str) -> str:
    """An <img> with the PNG embedded, so the HTML page is self-contained."""
    return f'<img alt="{alt}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
