require 'json'

class UserController < ActionController::Base
    def load_json_str
        json_str = params[:json_str]
        obj = JSON.load(json_str)
        return obj
    end
end
