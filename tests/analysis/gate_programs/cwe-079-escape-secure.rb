class User
    def username_as_html(username)
        "<h2>#{ERB::Util.html_escape(username)}</h2>".html_safe
    end
end
