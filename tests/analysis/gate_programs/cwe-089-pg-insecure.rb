require "pg"

class UserRepository
  def initialize(conn)
    @conn = conn
  end

  def find_by_name(name)
    @conn.exec("SELECT * FROM users WHERE user_name = '#{name}'").first
  end
end
