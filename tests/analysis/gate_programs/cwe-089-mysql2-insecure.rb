require "mysql2"

class UserRepository
  def initialize
    @client = Mysql2::Client.new(host: "localhost", username: "app", database: "app")
  end

  def find_by_name(name)
    @client.query("SELECT * FROM users WHERE user_name = '#{name}'").first
  end
end
