"""Where observations come from: the status page, our own probes, and the monitor thread that polls
them.
"""
