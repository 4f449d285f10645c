"""What the tests and the benchmarks share, owned by neither: the servers' environment (env.py), starting the
project's Rasa and action servers on loopback (servers.py), and talking to them as a merchant (conversation.py)."""
