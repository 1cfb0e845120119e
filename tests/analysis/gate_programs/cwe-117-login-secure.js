function logFailedLogin(username) {
  const clean = String(username).replace(/[\r\n]/g, "_");
  console.log(`Failed login attempt for user: ${clean}`);
}

module.exports = { logFailedLogin };
