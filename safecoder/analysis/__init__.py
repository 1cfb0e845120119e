"""Static analysis: findings by CWE from Semgrep, Bandit, CodeQL and syntax checks."""
