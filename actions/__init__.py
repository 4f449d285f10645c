"""Custom actions of POS收款诊断助手; all reasoning is delegated to pos_expert."""
