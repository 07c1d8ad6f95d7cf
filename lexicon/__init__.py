"""The vocabulary the NLU pipeline (nlu_components/) and the actions (actions/) share: cue words and the
groups of intents they act on. Its one home, pure Python with no Rasa import, so that both the Rasa image and
the action server's image carry it (Dockerfile) and neither imports the other's package.
"""
