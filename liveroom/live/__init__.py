"""The live read model in Redis: its projection (the one writer of its keys), the queries
the wall screen, the dispatcher and the officer's phone ask of it, and the push hub."""
