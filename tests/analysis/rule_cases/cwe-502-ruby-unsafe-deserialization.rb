require 'yaml'
require 'json'

class UserController < ActionController::Base
    def load_yaml_str
        yaml_str = params[:yaml_str]
        # ruleid: cwe-502-ruby-unsafe-deserialization
        obj = YAML.unsafe_load(yaml_str)
        # ruleid: cwe-502-ruby-unsafe-deserialization
        obj = Marshal.load(Base64.decode64(params[:state]))
        # YAML.load depends on the Psych version: cwe-502-ruby-yaml-load.
        # ok: cwe-502-ruby-unsafe-deserialization
        obj = YAML.load(yaml_str)
        # ok: cwe-502-ruby-unsafe-deserialization
        obj = YAML.safe_load(yaml_str)
        obj
    end

    def load_json_str
        json_str = params[:json_str]
        # ruleid: cwe-502-ruby-unsafe-deserialization
        obj = JSON.load(json_str)
        # ok: cwe-502-ruby-unsafe-deserialization
        obj = JSON.parse(json_str)
        obj
    end

    def load_json_additions
        json_str = params[:json_str]
        # ruleid: cwe-502-ruby-unsafe-deserialization
        obj = JSON.parse(json_str, create_additions: true)
        # ok: cwe-502-ruby-unsafe-deserialization
        plain = JSON.parse(json_str, create_additions: false)
        [obj, plain]
    end
end
