"""The command centre over HTTP: incidents, dispatches, broadcasts (command staff), and a
volunteer's own tasks (session of the volunteer's phone)."""

from ninja import Router

router = Router()
