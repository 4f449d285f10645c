"""Custom Rasa NLU components of POS收款诊断助手."""
