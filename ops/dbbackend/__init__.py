"""PostgreSQL backend that starts the embedded server on first connection.

Starting it lazily, rather than when settings load, keeps commands that never
touch the database (mypy's Django plugin, ``check``, ``compilemessages``) free
of side effects.
"""
