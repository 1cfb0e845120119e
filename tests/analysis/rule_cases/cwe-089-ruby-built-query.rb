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

class HierarchyEntry < ActiveRecord::Base
    def concept(hierarchy_entry_id)
        # ruleid: cwe-089-ruby-built-query
        self.find_by_sql("select id from hierarchy_entries where id=#{hierarchy_entry_id};")
    end

    def checked_concept(hierarchy_entry_id)
        # ok: cwe-089-ruby-built-query
        self.find_by_sql("select id from hierarchy_entries where id=#{hierarchy_entry_id.to_i};")
    end

    def raw_lookup(conn, name)
        # ruleid: cwe-089-ruby-built-query
        conn.exec("SELECT * FROM users WHERE user_name = '#{name}'")
        # ok: cwe-089-ruby-built-query
        conn.exec_params("SELECT * FROM users WHERE user_name = $1", [name])
        # ruleid: cwe-089-ruby-built-query
        ActiveRecord::Base.connection.select_all("SELECT * FROM orders WHERE status = '#{params[:status]}'")
        # ok: cwe-089-ruby-built-query
        ActiveRecord::Base.connection.select_all("SELECT status, COUNT(*) FROM orders GROUP BY status")
    end

    def prepared_lookup(client, name)
        statement = client.prepare("SELECT * FROM users WHERE user_name = ?")
        # ok: cwe-089-ruby-built-query
        statement.execute(name)
        # ruleid: cwe-089-ruby-built-query
        client.query("SELECT * FROM users WHERE user_name = '#{name}'")
    end
end
