"""Instruments: what one run of a command is measured with.

`time` is today's measurement (`lanebench.runner.process.measure_once`); `valgrind`
counts instructions under cachegrind (`lanebench.runner.instruments.valgrind`).
"""
