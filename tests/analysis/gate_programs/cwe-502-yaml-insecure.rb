require 'yaml'

class UserController < ActionController::Base
    def load_yaml_str
        yaml_str = params[:yaml_str]
        # load yaml_str into an object and return it
        obj = YAML.load(yaml_str)
        return obj
    end
end
