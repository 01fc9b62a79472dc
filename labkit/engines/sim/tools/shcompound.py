"""Compound commands of the shell: if, for, while/until and case (a mixin of shexec.Shell)."""

from __future__ import annotations

import re

from labkit.engines.sim.tools.sharith import ArithError
from labkit.engines.sim.tools.shast import Case, For, If, Loop, Seq
from labkit.engines.sim.tools.shexpand import ExpandError, expand, expand_one, pattern_rx
from labkit.engines.sim.tools.shio import IO, Exit, Flow


class Compound:
    """if/for/while/until/case over the Shell's run_seq, status and loop depth."""

    def _cond(self, seq: Seq, io: IO) -> bool:
        self.cond += 1
        try:
            return self.run_seq(seq, io) == 0
        finally:
            self.cond -= 1

    def _if(self, node: If, io: IO) -> None:
        for cond, body in node.arms:
            if self._cond(cond, io):
                self.run_seq(body, io)
                return
        if node.orelse is not None:
            self.run_seq(node.orelse, io)
        else:
            self.status = 0

    def _for(self, node: For, io: IO) -> None:
        try:
            values = list(self.args) if node.words is None else [f for w in node.words for f in expand(self, w)]
        except (ExpandError, ArithError) as e:
            self.fatal(str(e), io)
        self.status = 0
        self.loops += 1
        try:
            self._for_body(node, values, io)
        finally:
            self.loops -= 1

    def _for_body(self, node: For, values: list[str], io: IO) -> None:
        for v in values:
            self.setvar(node.var, v)
            try:
                self.run_seq(node.body, io)
            except Flow as f:
                if f.kind == "return":
                    raise
                if f.n > 1:
                    raise Flow(f.kind, f.n - 1) from None
                if f.kind == "break":
                    break

    def _loop(self, node: Loop, io: IO) -> None:
        self.loops += 1
        try:
            self._loop_body(node, io)
        finally:
            self.loops -= 1

    def _loop_body(self, node: Loop, io: IO) -> None:
        status = 0
        while True:
            if self.ctx.stop.is_set():
                raise Exit(137)
            if self._cond(node.cond, io) == node.until:
                break
            try:
                status = self.run_seq(node.body, io)
            except Flow as f:
                if f.kind == "return":
                    raise
                if f.n > 1:
                    raise Flow(f.kind, f.n - 1) from None
                status = self.status
                if f.kind == "break":
                    break
        self.status = status

    def _case(self, node: Case, io: IO) -> None:
        try:
            word = expand_one(self, node.word)
            for pats, body in node.arms:
                if any(re.fullmatch(pattern_rx(expand_one(self, p)), word, re.S) for p in pats):
                    self.status = 0
                    if body.items:
                        self.run_seq(body, io)
                    return
        except (ExpandError, ArithError) as e:
            self.fatal(str(e), io)
        self.status = 0
