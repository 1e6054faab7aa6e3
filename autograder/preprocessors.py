"""nbgrader preprocessors of the grader: output capped while a notebook runs; hidden tests kept hidden."""

from __future__ import annotations

import json

from jupyter_core.utils import run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import ClearHiddenTests, Execute
from traitlets import Integer

TRUNCATED = "\n... output truncated by the grader: this notebook printed more than {} MiB ...\n"


class CappedExecute(Execute):
    """nbgrader's Execute, capping what it collects *while* the kernel runs (nbgrader's LimitOutput trims
    only afterwards): no ZeroMQ message over ``max_message_bytes`` is received (libzmq's ZMQ_MAXMSGSIZE),
    and after ``max_output_bytes`` of outputs in one notebook the rest is replaced by one note."""

    max_output_bytes = Integer(20 * 2**20).tag(config=True)
    max_message_bytes = Integer(32 * 2**20).tag(config=True)
    _collected, _truncated = 0, False

    async def async_start_new_kernel_client(self):
        import zmq.asyncio

        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)  # default of the client's sockets
        make_client = self.km.client
        self.km.client = lambda **kw: make_client(context=context, **kw)
        self._collected, self._truncated = 0, False
        return await super().async_start_new_kernel_client()

    start_new_kernel_client = run_sync(async_start_new_kernel_client)  # nbclient's calls the base one

    def output(self, outs, msg, display_id, cell_index):
        if self._truncated:
            return None
        self._collected += len(json.dumps(msg.get("content", {})))
        if self._collected <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        self._truncated = True  # one note, then nothing more is kept
        outs.append(new_output("stream", name="stdout", text=TRUNCATED.format(self.max_output_bytes >> 20)))
        return None


class HiddenTestFeedback(ClearHiddenTests):
    """ClearHiddenTests for feedback: those cells' errors keep only ``ErrorName: message``, never the
    traceback (IPython's traceback quotes the lines around the failure: the hidden test's source)."""

    def preprocess_cell(self, cell, resources, cell_index):
        if self._remove_hidden_test_region(cell) and cell.cell_type == "code":
            cell.source += "\n# (hidden tests: not shown)"
            for out in cell.outputs:
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources
