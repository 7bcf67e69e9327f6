"""The pure heart: snapshots, events, the state machine, the clock. No I/O; imports nothing above
it.
"""
