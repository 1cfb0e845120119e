class UserController < ActionController::Base
    def find_user
        user_name = params[:user_name]
        # ruleid: cwe-089-ruby-built-query
        user = User.where("user_name = '#{user_name}'")
        # ok: cwe-089-ruby-built-query
        user = User.where(user_name: user_name)
        # ok: cwe-089-ruby-built-query
        user = User.where("user_name = ?", user_name)
        # ruleid: cwe-089-ruby-built-query
        users = User.find_by_sql("SELECT * FROM users WHERE name = '" + user_name + "'")
        # ok: cwe-089-ruby-built-query
        users = User.order("created_at DESC")
    end
end
