"""The operating system and the user's folders: paths, atomic files, saved state, single instance,
start at login, keyring, D-Bus, logging.
"""
