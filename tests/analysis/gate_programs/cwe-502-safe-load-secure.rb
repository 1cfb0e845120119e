require 'yaml'

class UserController < ActionController::Base
    def load_yaml_str
        yaml_str = params[:yaml_str]
        obj = YAML.safe_load(yaml_str, permitted_classes: [Date, Symbol])
        return obj
    end
end
