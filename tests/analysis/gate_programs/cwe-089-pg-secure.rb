require "pg"
require "mysql2"

class UserRepository
  def initialize(conn, client)
    @conn = conn
    @client = client
  end

  def find_by_name(name)
    @conn.exec_params("SELECT * FROM users WHERE user_name = $1", [name]).first
  end

  def find_in_mysql(name)
    statement = @client.prepare("SELECT * FROM users WHERE user_name = ?")
    statement.execute(name).first
  end

  def report
    ActiveRecord::Base.connection.select_all("SELECT status, COUNT(*) FROM orders GROUP BY status")
  end
end
