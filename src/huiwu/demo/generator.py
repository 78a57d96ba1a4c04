DEMO_ACCOUNTS = {}


def generate(stdout=None):
    raise RuntimeError("the demo generator is being written")
