from huiwu.summit.selectors import request_summit


def summit(request) -> dict:
    """The summit the public site shows, for the header and footer of every page."""
    return {"current_summit": request_summit(request)}
