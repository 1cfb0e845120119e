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
end
