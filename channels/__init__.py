"""Input channels of POS收款诊断助手: Rasa's REST and socketio channels behind a guard."""
