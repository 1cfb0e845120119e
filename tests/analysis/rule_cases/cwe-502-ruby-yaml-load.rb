require 'yaml'

# With Psych < 4 (Ruby 3.0 and older, or psych pinned to 3.x) YAML.load and Psych.load
# instantiate any class a document names (`!ruby/object:...`), so a crafted document
# can reach a gadget chain; Psych 4 made them load like safe_load.
class SettingsController < ActionController::Base
    def import
        # ruleid: cwe-502-ruby-yaml-load
        settings = YAML.load(request.body.read)
        # ruleid: cwe-502-ruby-yaml-load
        defaults = Psych.load(params[:defaults])
        [settings, defaults]
    end

    def import_safely
        # ok: cwe-502-ruby-yaml-load
        settings = YAML.safe_load(request.body.read, permitted_classes: [Date])
        # ok: cwe-502-ruby-yaml-load
        text = YAML.dump(settings)
        text
    end
end
