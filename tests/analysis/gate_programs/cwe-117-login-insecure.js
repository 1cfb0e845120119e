function logFailedLogin(username) {
  console.log(`Failed login attempt for user: ${username}`);
}

module.exports = { logFailedLogin };
