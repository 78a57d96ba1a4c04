"""What the command centre listens to in the other apps: check-ins, duties, positions."""
