"""Custom actions for the 12315 assistant, run by the rasa_sdk action server."""
